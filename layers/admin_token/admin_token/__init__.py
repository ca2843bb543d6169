"""Admin Token API domain: token-type dispatch, caller authorisation, storage and configuration.

Shipped as a Lambda layer; every function imports it the way it would from /opt/python.
"""
