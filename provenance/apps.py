from django.apps import AppConfig


class ProvenanceConfig(AppConfig):
    name = "provenance"
    verbose_name = "Claims"

    def ready(self) -> None:
        # Publishing listens to the claims domain's events (claims.signals): the
        # webhook outbox is written in the transaction of each publish decision.
        # The second-factor gate notes each login's factors, and the account page's
        # session list each sign-in (signal receivers). Search keeps its documents
        # current on every audited write (common.indexing).
        import provenance.accounts.second_factor
        import provenance.accounts.signals
        import provenance.publishing.webhooks
        import provenance.search.indexing  # noqa: F401
