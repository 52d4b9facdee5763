"""The `/invite/{token}` pages (choose a password, accept the invitation) and the
administrators' API (`/api/v1/suppressions`)."""
