"""The app's model registry: Django imports this module to find the models, which
live in their rooms. Code imports a model from its room, never from here."""

import provenance.audit.models
import provenance.claims.models
import provenance.entities.models
import provenance.publishing.models
import provenance.search.models
import provenance.teams.models  # noqa: F401
