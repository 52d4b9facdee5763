"""The key pairs every test run uses: one per run, made at import."""

from services.directory.cli.keygen import new_key_pair
from shared.security.sealing import new_sealing_key_pair

JWT_PRIVATE_KEY, JWT_PUBLIC_KEY = new_key_pair()
SEALING_PRIVATE_KEY, SEALING_PUBLIC_KEY = new_sealing_key_pair()
