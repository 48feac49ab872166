Feature: The first sync
  When Ann turns task sync on, her recent Salesforce tasks come into Sales Insight Actions.
  The tasks she already has in Sales Insight Actions stay there and are not pushed to
  Salesforce, to avoid clutter and duplicates. Turning sync on again after a pause is a
  "previously enabled" start: what was linked before is reconciled, never imported twice.

  Rule: Turning task sync on imports Ann's Salesforce tasks

    @R3.1
    Example: A recent Salesforce task arrives with all its synced fields
      Given Ann has these tasks in Salesforce:
        | subject  | status      | priority | due date     | comments          | last changed |
        | Call Ann | Not Started | High     | 5 March 2026 | Ask about renewal | 2 hours ago  |
      When Ann turns on task sync
      Then Sales Insight Actions has these tasks:
        | name     | status | priority | due date     | details           |
        | Call Ann | open   | high     | 5 March 2026 | Ask about renewal |

  Rule: Tasks that already exist in Sales Insight Actions are not pushed to Salesforce; tasks created afterwards are

    @R3.2
    Example: A task Ann already had stays in Sales Insight Actions only
      Given Ann has the task "Old note" in Sales Insight Actions
      When Ann turns on task sync
      Then Salesforce has no task "Old note"
      And Sales Insight Actions has the task "Old note"

    @R3.2
    Example: A task created after turning sync on is created in Salesforce
      Given Ann has turned on task sync
      When Ann creates the task "New call" in Sales Insight Actions
      And the sync runs
      Then Salesforce has the task "New call"

  Rule: Salesforce tasks created or updated in the last 24 hours are imported, whatever their due date

    @R3.3
    Example: Only tasks changed in the last 24 hours are imported
      Given Ann has these tasks in Salesforce:
        | subject              | created     | last changed |
        | Created this morning | 3 hours ago | 3 hours ago  |
        | Created yesterday    | 23 hours ago| 23 hours ago |
        | Old but just updated | 40 days ago | 1 hour ago   |
        | Untouched for a day  | 25 hours ago| 25 hours ago |
        | From last week       | 7 days ago  | 7 days ago   |
      When Ann turns on task sync
      Then Sales Insight Actions has the tasks "Created this morning", "Created yesterday" and "Old but just updated"
      And Sales Insight Actions has none of the tasks "Untouched for a day" and "From last week"

    @R3.3 @R6.1
    Example: Tasks due on any day are imported, even those the Command Center does not show
      Given Ann has these tasks in Salesforce:
        | subject        | due date       | last changed |
        | Renew contract | 1 June 2027    | 1 hour ago   |
        | Overdue call   | 1 January 2025 | 1 hour ago   |
        | Some day       | none           | 1 hour ago   |
      When Ann turns on task sync
      Then Sales Insight Actions has the tasks "Renew contract", "Overdue call" and "Some day"
      And the Command Center shows no tasks

  Rule: On a previously enabled start, every Salesforce deletion of the last 15 days is applied

    Background:
      Given Ann turned task sync off after the tasks "Call Ann", "Email Bea" and "Visit Carl", due tomorrow, were synced

    @R3.4 @R6.2
    Example: All tasks deleted in Salesforce disappear from Sales Insight Actions and the Command Center
      Given all of Ann's tasks were deleted in Salesforce 1 day ago
      When Ann turns on task sync again
      Then Sales Insight Actions has none of the tasks "Call Ann", "Email Bea" and "Visit Carl"
      And the Command Center shows no tasks

    @R3.4
    Example: Some tasks deleted in Salesforce disappear too
      Given the Salesforce task "Email Bea" was deleted in Salesforce 3 days ago
      When Ann turns on task sync again
      Then Sales Insight Actions has no task "Email Bea"
      And Sales Insight Actions has the tasks "Call Ann" and "Visit Carl"

    @R3.4
    Example: A task deleted longer ago than the recycle bin keeps it is still found
      Given the Salesforce task "Email Bea" was deleted in Salesforce 20 days ago
      When Ann turns on task sync again
      Then Sales Insight Actions has no task "Email Bea"
      And the sync report says the deletion of "Email Bea" was found by checking the linked tasks

  Rule: A task linked before is updated in place, never imported a second time

    @R3.5
    Example: A Salesforce task imported at the first enabling is not imported again
      Given Ann turned task sync off after the Salesforce task "Call Ann" was imported
      And the priority of the Salesforce task "Call Ann" was set to "High" in Salesforce
      When Ann turns on task sync again
      Then Sales Insight Actions has exactly one task "Call Ann"
      And the task "Call Ann" has high priority in Sales Insight Actions

    @R3.5
    Example: A task from Sales Insight Actions edited in Salesforce during the pause is updated, not duplicated
      Given Ann turned task sync off after the task "Call Ann" was synced
      And the comments of the Salesforce task "Call Ann" were changed to "Call after lunch" in Salesforce
      When Ann turns on task sync again
      Then Sales Insight Actions has exactly one task "Call Ann"
      And the task "Call Ann" in Sales Insight Actions has the details "Call after lunch"

  Rule: A Sales Insight Actions task from before enabling stays unsynced; an older Salesforce task is imported when it next changes

    @R3.6
    Example: Editing a task Ann had before enabling does not push it to Salesforce
      Given Ann has the task "Old note" in Sales Insight Actions
      And Ann has turned on task sync
      When Ann renames the task "Old note" to "Old note, edited" in Sales Insight Actions
      And the sync runs
      Then Salesforce has none of the tasks "Old note" and "Old note, edited"

    @R3.6
    Example: A Salesforce task older than 24 hours is imported when it changes
      Given Ann has these tasks in Salesforce:
        | subject          | last changed |
        | Quarterly review | 30 days ago  |
      And Ann has turned on task sync
      When the comments of the Salesforce task "Quarterly review" are changed to "Agenda ready" in Salesforce
      And the sync runs
      Then the task "Quarterly review" in Sales Insight Actions has the details "Agenda ready"
