from django.apps import AppConfig


class ProvenanceConfig(AppConfig):
    name = "provenance"
    verbose_name = "Claims"

    def ready(self) -> None:
        # The account page's session list notes each sign-in (accounts/signals.py).
        # Publishing listens to the claims domain's events (claims.signals): the
        # webhook outbox is written in the transaction of each publish decision.
        import provenance.accounts.signals
        import provenance.publishing.webhooks  # noqa: F401
