from rest_framework import serializers

from ..models import Claim, Entity


class EntitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Entity
        fields = [
            "id",
            "kind",
            "name",
            "slug",
            "description",
            "aliases",
            "country",
            "imo",
            "mmsi",
            "call_sign",
            "flag",
            "locode",
            "latitude",
            "longitude",
            "is_synthetic",
            "updated_at",
        ]


class QuantitySerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=20, decimal_places=4, source="quantity_amount"
    )
    unit = serializers.CharField(source="quantity_unit")
    bound = serializers.CharField(source="quantity_bound")
    display = serializers.CharField(source="quantity_display")


class ClaimSerializer(serializers.ModelSerializer):
    subjects = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True
    )
    tags = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    quantity = serializers.SerializerMethodField()

    class Meta:
        model = Claim
        fields = [
            "id",
            "slug",
            "text",
            "summary",
            "status",
            "subjects",
            "tags",
            "quantity",
            "first_appearance_source",
            "first_appearance_url",
            "first_appearance_at",
            "created_at",
            "updated_at",
        ]

    def get_quantity(self, claim: Claim) -> dict | None:
        if claim.quantity_amount is None:
            return None
        return QuantitySerializer(claim).data
