"""The two sides the engine talks to: Salesforce (simple-salesforce), SIA (HTTP), and in-memory twins.

Port of the Salesforce side (`SalesforceAdapter`, `MemorySalesforce`):
    calls: int                                   API calls made (logins excluded)
    changes(owner_id, since, after_id=None, lookback_from=None)
                                                 Task rows incl. IsDeleted, ordered by (SystemModstamp, Id);
                                                 with after_id: (SystemModstamp, Id) > (since, after_id),
                                                 OR SystemModstamp in [lookback_from, since) (F11)
    server_time                                  Salesforce's clock at its last answer (R4.3)
    by_ids(ids)                                  rows for these ids (queryAll), missing ones left out
    by_external_ids(sia_ids)                     rows carrying these SIA_Task_Id__c (queryAll; R4.6 restart)
    upsert(records) / update(records) / delete(ids)  sObject Collections results, request order
    find_user_id(username)
Port of the SIA side (`SiaAdapter`, `MemorySia`):
    calls: int
    sync_users() / subject_template()
    changes(user_id, since, after_id=None)       tasks incl. tombstones, ordered by (updated_at, id);
                                                 with after_id: strict keyset (updated_at, id) > (since, id)
    get(user_id, task_id)                        one task incl. a tombstone, or None
    server_time                                  SIA's clock at its last answer (R4.3)
    batch(user_id, operations)                   results in request order
"""
