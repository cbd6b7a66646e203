"""factory_boy factories. Domain objects that services create are made through services
where the test is about behaviour; factories are for arranging state quickly."""

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from evidence.models import EvidenceItem, EvidenceKind, Statement
from provenance.claims.models import Claim, ClaimEvidence, ConfidenceAssessment
from provenance.entities.models import (
    Entity,
    EntityKind,
    Relationship,
    RelationshipKind,
)
from provenance.teams.models import Membership, Team


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-42")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = "reporter"


class EntityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Entity

    team = factory.SubFactory(TeamFactory)
    kind = EntityKind.ORGANIZATION
    name = factory.Sequence(lambda n: f"Entity {n}")
    slug = factory.Sequence(lambda n: f"entity-{n}")


class ClaimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Claim
        skip_postgeneration_save = True

    team = factory.SubFactory(TeamFactory)
    text = factory.Sequence(lambda n: f"Claim number {n} is true")
    slug = factory.Sequence(lambda n: f"claim-{n}")
    author = factory.SubFactory(UserFactory)
    last_edited_by = factory.SelfAttribute("author")

    @factory.post_generation
    def subjects(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.subjects.set(extracted)


class EvidenceItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EvidenceItem

    team = factory.SubFactory(TeamFactory)
    kind = EvidenceKind.LINK
    title = factory.Sequence(lambda n: f"Evidence {n}")
    url = factory.Sequence(lambda n: f"https://example.org/evidence/{n}")
    observed_at = factory.LazyFunction(timezone.now)


class StatementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Statement

    item = factory.SubFactory(EvidenceItemFactory, kind=EvidenceKind.STATEMENT)
    stated_at = factory.LazyFunction(timezone.now)
    quote = "We deny it."


class ClaimEvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClaimEvidence

    claim = factory.SubFactory(ClaimFactory)
    item = factory.SubFactory(
        EvidenceItemFactory, team=factory.SelfAttribute("..claim.team")
    )
    relation = "supports"


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConfidenceAssessment

    claim = factory.SubFactory(ClaimFactory)
    level = "likely"
    rationale = "Two independent sources."
    assessed_by = factory.SelfAttribute("claim.author")


class RelationshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Relationship

    team = factory.SubFactory(TeamFactory)
    kind = RelationshipKind.REGISTERED_OWNER
    source = factory.SubFactory(EntityFactory, team=factory.SelfAttribute("..team"))
    target = factory.SubFactory(
        EntityFactory, team=factory.SelfAttribute("..team"), kind=EntityKind.VESSEL
    )
