"""Channel adapters: each only translates between its platform and IncomingMessage / Reply."""
