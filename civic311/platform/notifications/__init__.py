"""Notifications: e-mail and SMS to reporters and followers, one folder of templates per message."""
