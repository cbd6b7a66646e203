"""The write hook search listens to.

Every domain write records an audit event (provenance.audit.chain.audit_record)
inside its transaction; that function sends `object_written` with the object the
event is about, so the search room (which sits above evidence and claims and may not
be imported by them) keeps its documents current in the same transaction. Sent with
send(), not send_robust(): an indexing error undoes the write rather than leaving
the index behind it. The receiver is connected when the app is ready
(provenance.apps).
"""

from django.dispatch import Signal

# Keyword arguments: obj (the model instance the audit event names), actor.
object_written = Signal()
