"""Staff pages of notifications: the in-app inbox (消息) and the message templates."""
