"""Platform-neutral helpers of the push channels (Telegram, Slack): what a customer sees, button actions."""
