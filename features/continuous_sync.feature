Feature: Keeping tasks in step after the first sync
  After the first sync, whatever Ann does to a task in Sales Insight Actions happens to it in
  Salesforce, and whatever happens to her tasks in Salesforce happens in Sales Insight Actions.
  The sync never echoes its own writes, never makes duplicates and never loses an edit.

  Background:
    Given Ann has turned on task sync

  Rule: A task created, edited, completed or deleted in Sales Insight Actions is created, updated, completed or deleted in Salesforce

    @R4.1
    Example: A new task arrives in Salesforce with its fields
      When Ann creates this task in Sales Insight Actions:
        | name     | priority | due date     | details           |
        | Call Ann | high     | 5 March 2026 | Ask about renewal |
      And the sync runs
      Then Salesforce has these tasks:
        | subject  | status      | priority | due date     | comments          |
        | Call Ann | Not Started | High     | 5 March 2026 | Ask about renewal |

    @R4.1
    Example: An edited task is updated in Salesforce
      Given Ann has the synced task "Call Ann" due 5 March 2026
      When Ann changes the task "Call Ann" in Sales Insight Actions:
        | priority | due date     | details          |
        | high     | 6 March 2026 | Moved to Friday  |
      And the sync runs
      Then Salesforce has these tasks:
        | subject  | priority | due date     | comments        |
        | Call Ann | High     | 6 March 2026 | Moved to Friday |

    @R4.1
    Example: A completed task is completed in Salesforce
      Given Ann has the synced task "Call Ann"
      When Ann completes the task "Call Ann" in Sales Insight Actions
      And the sync runs
      Then the Salesforce task "Call Ann" has the status "Completed"

    @R4.1
    Example: A deleted task is deleted in Salesforce
      Given Ann has the synced task "Call Ann"
      When Ann deletes the task "Call Ann" in Sales Insight Actions
      And the sync runs
      Then Salesforce has no task "Call Ann"

  Rule: A task created, edited, completed or deleted in Salesforce is created, updated, completed or deleted in Sales Insight Actions

    @R4.2
    Example: A new Salesforce task arrives in Sales Insight Actions with its fields
      When this task is created in Salesforce:
        | subject    | status      | priority | due date     | comments    |
        | Email Bea  | Not Started | High     | 9 March 2026 | Send prices |
      And the sync runs
      Then Sales Insight Actions has these tasks:
        | name      | status | priority | due date     | details     |
        | Email Bea | open   | high     | 9 March 2026 | Send prices |

    @R4.2
    Example: A task completed in Salesforce is completed in Sales Insight Actions
      Given Ann has the synced task "Call Ann"
      When the status of the Salesforce task "Call Ann" is set to "Completed" in Salesforce
      And the sync runs
      Then the task "Call Ann" is complete in Sales Insight Actions

    @R4.2
    Example: A task deleted in Salesforce is deleted in Sales Insight Actions
      Given Ann has the synced task "Call Ann"
      When the Salesforce task "Call Ann" is deleted in Salesforce
      And the sync runs
      Then Sales Insight Actions has no task "Call Ann"

    @R4.2 @R3.4
    Example: A task deleted and purged from the recycle bin before the next sync still disappears
      Given Ann has the synced task "Call Ann"
      When the Salesforce task "Call Ann" is deleted in Salesforce and the recycle bin is emptied
      And the sync runs
      And 6 hours later, the sync runs
      Then Sales Insight Actions has no task "Call Ann"
      And the sync report says the deletion of "Call Ann" was found by checking the linked tasks

    @R4.2
    Example: A rep's bulk deletion in Salesforce reaches Sales Insight Actions in the next sync
      Given Ann has the synced Salesforce tasks "Lead 1" to "Lead 12"
      When the Salesforce tasks "Lead 1" to "Lead 10" are deleted in Salesforce
      And the sync runs
      Then Sales Insight Actions has only the tasks "Lead 11" and "Lead 12"
      And the sync report holds no deletion back

    @R4.2
    Example: Tasks of other Salesforce users are not synced to Ann
      When Bob's Salesforce user has the task "Call Bob's client"
      And the sync runs
      Then Ann does not see the task "Call Bob's client" in Sales Insight Actions

  Rule: The sync never treats its own writes as new changes

    @R4.5
    Example: A pass with nothing new changes nothing
      Given Ann has the synced task "Call Ann"
      And the task "Email Bea" was created in Salesforce and synced
      When the sync runs
      Then the sync changed nothing in either system

    @R4.5
    Example: A change synced one way is not written back the other way
      Given Ann has the synced task "Call Ann"
      And Ann completed the task "Call Ann" in Sales Insight Actions and the sync ran
      When the sync runs
      Then the sync changed nothing in either system
      And the Salesforce task "Call Ann" has the status "Completed"

  Rule: However often a pass is interrupted or retried, there are no duplicates and no lost edits

    @R4.6
    Example: A pass cut off right after Salesforce saved a new task makes no duplicate
      Given Ann creates the task "Call Ann" in Sales Insight Actions
      And the connection to Salesforce breaks right after Salesforce saves the next task
      When the sync runs
      And the sync runs again
      Then Salesforce has exactly one task "Call Ann"

    @R4.6
    Example: An edit made while Salesforce is unavailable reaches it later
      Given Ann has the synced task "Call Ann"
      And Salesforce is unavailable
      When Ann completes the task "Call Ann" in Sales Insight Actions
      And the sync runs while Salesforce is unavailable, and again once it is back
      Then the Salesforce task "Call Ann" has the status "Completed"

    @R4.6
    Example: Running the same pass twice creates nothing twice
      Given the task "Email Bea" is created in Salesforce
      And Ann creates the task "Call Ann" in Sales Insight Actions
      When the sync runs twice
      Then Salesforce has exactly one task "Call Ann"
      And Sales Insight Actions has exactly one task "Email Bea"

  Rule: A task restored from the Salesforce recycle bin comes back in Sales Insight Actions as a new task

    @R4.7
    Example: A deleted task restored three days later comes back
      Given Ann has the synced task "Call Ann"
      And the Salesforce task "Call Ann" was deleted in Salesforce and the sync ran
      When the Salesforce task "Call Ann" is restored from the recycle bin 3 days later
      And the sync runs
      Then Sales Insight Actions has the task "Call Ann" again, as a new task

  Rule: Tasks the sync creates in Salesforce carry no Salesforce task type

    @R4.8
    Scenario Outline: Reminder tasks of any kind arrive without a type
      When Ann creates the <kind> task "Reach out to Ann" in Sales Insight Actions
      And the sync runs
      Then the Salesforce task "Reach out to Ann" has no type

      Examples:
        | kind   |
        | call   |
        | email  |
        | inmail |
        | custom |
