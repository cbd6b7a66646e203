from tests.oidc_provider.server import oidc_provider, oidc_site  # noqa: F401 - fixtures
