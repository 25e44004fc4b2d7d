"""Test support: real local servers (Slack Web API, SMTP) that tests start and stop themselves."""
