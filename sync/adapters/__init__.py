"""The two sides the engine talks to: Salesforce (simple-salesforce), SIA (HTTP), and in-memory twins.

Port of the Salesforce side (`SalesforceAdapter`, `MemorySalesforce`):
    calls: int                                   API calls made (logins excluded)
    changes(owner_id, since, after_id=None)      Task rows incl. IsDeleted, ordered by (SystemModstamp, Id)
    by_ids(ids)                                  rows for these ids (queryAll), missing ones left out
    upsert(records) / update(records) / delete(ids)  sObject Collections results, request order
    find_user_id(username)
Port of the SIA side (`SiaAdapter`, `MemorySia`):
    calls: int
    sync_users() / subject_template()
    changes(user_id, since, after_id=None)       tasks incl. tombstones, ordered by (updated_at, id);
                                                 with after_id: strict keyset (updated_at, id) > (since, id)
    get(user_id, task_id)                        one task incl. a tombstone, or None
    batch(user_id, operations)                   results in request order
"""
