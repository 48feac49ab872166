Feature: Turning task sync on and off
  Each sales rep decides for themselves whether the reminder tasks in Sales Insight Actions
  and their tasks in Salesforce are kept in step. The setting lives on the Sales Insight Actions
  settings page ("Sync tasks/reminders to Salesforce tasks") and takes effect when it is saved.

  Rule: Task sync is off until the user turns it on, and it starts when the setting is saved

    @R1.1
    Example: Nothing is synced while task sync has never been turned on
      Given Ann has the Salesforce task "Call Ann"
      When the sync runs
      Then task sync is off for Ann
      And Sales Insight Actions has no task "Call Ann"

    @R1.1
    Example: Saving the setting starts the sync
      Given Ann has the Salesforce task "Call Ann"
      When Ann turns on task sync
      Then task sync is on for Ann
      And Sales Insight Actions has the task "Call Ann"

  Rule: While task sync is on, tasks are synced continuously in both directions

    Background:
      Given Ann has turned on task sync

    @R1.2
    Example: Changes made on both sides meet after the next sync
      When Ann creates the task "Email Bea" in Sales Insight Actions
      And the task "Call Carl" is created in Salesforce
      And the sync runs
      Then Salesforce has the task "Email Bea"
      And Sales Insight Actions has the task "Call Carl"

    @R1.2
    Example: Sync keeps going pass after pass
      Given Ann has the synced task "Call Ann"
      When Ann completes the task "Call Ann" in Sales Insight Actions
      And the sync runs
      Then the Salesforce task "Call Ann" has the status "Completed"

  Rule: Turning task sync off stops it at once; turning it on again reconciles what was linked

    Background:
      Given Ann turned task sync off after the task "Call Ann" was synced

    @R1.3
    Example: Nothing is synced while task sync is off
      When Ann completes the task "Call Ann" in Sales Insight Actions
      And the sync runs
      Then the Salesforce task "Call Ann" has the status "Not Started"

    @R1.3 @R3.4 @R3.5
    Example: Turning sync on again brings the paused edits across
      Given Ann completes the task "Call Ann" in Sales Insight Actions
      When Ann turns on task sync again
      Then the Salesforce task "Call Ann" has the status "Completed"
      And Salesforce has exactly one task "Call Ann"

    @R1.3 @R3.2
    Example: Tasks created during the pause stay in Sales Insight Actions only
      Given Ann creates the task "Email Dora" in Sales Insight Actions
      When Ann turns on task sync again
      Then Salesforce has no task "Email Dora"

  Rule: Each user's tasks stay with that user and their own Salesforce user

    @R1.4
    Example: Only tasks assigned to Ann's Salesforce user reach Ann
      Given Ann has turned on task sync
      And Bob's Salesforce user has the task "Call Bob's client"
      When the sync runs
      Then Ann does not see the task "Call Bob's client" in Sales Insight Actions

    @R1.4
    Example: Tasks Ann creates are assigned to her Salesforce user
      Given Ann has turned on task sync
      When Ann creates the task "Email Bea" in Sales Insight Actions
      And the sync runs
      Then the Salesforce task "Email Bea" is assigned to Ann's Salesforce user

    @R1.4
    Example: Two users with sync on never see each other's tasks
      Given Ann and Bob have both turned on task sync
      When Bob creates the task "Bob's pipeline review" in Sales Insight Actions
      And the sync runs
      Then Ann does not see the task "Bob's pipeline review" in Sales Insight Actions
      And the Salesforce task "Bob's pipeline review" is assigned to Bob's Salesforce user

    @R1.4
    Example: Ann completing her copy of a task reassigned to Bob leaves Bob's task alone
      Given Ann has turned on task sync
      And Ann has the synced task "Call Dana"
      And the Salesforce task "Call Dana" is reassigned to Bob's Salesforce user in Salesforce
      When Ann completes the task "Call Dana" in Sales Insight Actions
      And the sync runs
      Then the Salesforce task "Call Dana" has the status "Not Started"
      And the Salesforce task "Call Dana" is assigned to Bob's Salesforce user
      And the task "Call Dana" is complete in Sales Insight Actions
      And the sync report says "Call Dana" is no longer synced because it was reassigned

    @R1.4
    Example: Ann deleting her copy of a task reassigned to Bob leaves Bob's task alone
      Given Ann has turned on task sync
      And Ann has the synced task "Call Dana"
      And the Salesforce task "Call Dana" is reassigned to Bob's Salesforce user in Salesforce
      When Ann deletes the task "Call Dana" in Sales Insight Actions
      And the sync runs
      And the sync runs again
      Then Salesforce has the task "Call Dana"
      And the Salesforce task "Call Dana" is assigned to Bob's Salesforce user

  Rule: Connecting a different Salesforce user is a new start for that user

    @R1.1 @R1.4
    Example: After Ann connects another Salesforce user, only that user's tasks are synced
      Given Ann connected her Salesforce user, leaving the user id blank
      And Ann has turned on task sync
      And Ann has the synced task "Call Ann"
      And Carol's Salesforce user has the task "Carol's renewal"
      When Ann disconnects Salesforce and connects Carol's Salesforce user instead, leaving the user id blank
      And Ann turns on task sync again
      And Ann creates the task "Email Erin" in Sales Insight Actions
      And the status of the Salesforce task "Call Ann" is set to "Completed" in Salesforce
      And the sync runs
      Then Sales Insight Actions has the task "Carol's renewal"
      And the Salesforce task "Email Erin" is assigned to Carol's Salesforce user
      And the task "Call Ann" is still open in Sales Insight Actions
