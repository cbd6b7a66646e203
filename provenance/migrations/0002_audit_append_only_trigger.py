"""PostgreSQL refuses UPDATE, DELETE and TRUNCATE on the audit table.

The hash chain is what makes tampering evident; this trigger makes the ordinary ways
of rewriting history fail loudly. Only PostgreSQL gets it (SQLite is for local use).

TRUNCATE is allowed only in a session that has said so with
`SET provenance.allow_audit_truncate = 'on'` -- the test suite's flush between
transactional tests, or a deliberate reset of a development database. UPDATE and
DELETE have no such switch: changing a stored event needs
`ALTER TABLE ... DISABLE TRIGGER` by the table's owner, which is the kind of act the
chain then exposes (`manage.py verify_audit`).
"""

from django.db import migrations

TABLE = "provenance_auditevent"

INSTALL = f"""
CREATE OR REPLACE FUNCTION provenance_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE'
       AND coalesce(current_setting('provenance.allow_audit_truncate', true), '')
           = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '{TABLE} is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER audit_append_only
    BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION provenance_audit_append_only();
CREATE TRIGGER audit_no_truncate
    BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION provenance_audit_append_only();
"""

UNINSTALL = f"""
DROP TRIGGER IF EXISTS audit_no_truncate ON {TABLE};
DROP TRIGGER IF EXISTS audit_append_only ON {TABLE};
DROP FUNCTION IF EXISTS provenance_audit_append_only();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL, params=None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNINSTALL, params=None)


class Migration(migrations.Migration):
    dependencies = [("provenance", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
