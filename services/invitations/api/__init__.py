"""The `/invite/{token}` pages: choose a password, accept the invitation."""
