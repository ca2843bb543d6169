"""Clients of a running Admin Token API, for the people answering a leak: `revoke-report` (a
scanner's report revoked through the bulk endpoint) and `audit` (the trail from a terminal).

They speak HTTP to the service like any other client; the local runner's CLI only wires them.
"""
