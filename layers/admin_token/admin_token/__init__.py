"""Admin Token API domain: token-type dispatch, caller authorisation, storage and configuration.

Shipped as a Lambda layer; both functions import it the way they would from /opt/python.
"""
