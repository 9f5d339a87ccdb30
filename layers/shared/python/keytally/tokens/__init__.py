"""Personal access tokens: a user's signed, revocable credentials (ShellUI's PATs)."""
