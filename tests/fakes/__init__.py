"""Local stand-ins for the chat platforms' servers, on 127.0.0.1, talked to by the real client libraries."""
