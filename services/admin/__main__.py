"""`python -m services.admin [serve|migrate]`: the admin console (`migrate` has nothing to
do: the console holds no data)."""

from services.admin.settings import AdminSettings
from shared.cli import service_cli

cli = service_cli("admin", AdminSettings, "services.admin.app:create_app", migrations=None)

if __name__ == "__main__":
    cli()
