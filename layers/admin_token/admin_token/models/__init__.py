"""Models by role: `requests` (what a caller sends), `records` (the domain), `entities` (what is returned).

The DynamoDB item shapes live with the storage (`admin_token.storage.items`).
"""
