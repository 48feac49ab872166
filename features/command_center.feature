Feature: The Command Center
  Every synced task is kept in Sales Insight Actions, but the Command Center (Ann's to-do view)
  only shows the open tasks that are due today and tomorrow, counted in Ann's own time zone.

  Background:
    Given Ann has turned on task sync

  Rule: The Command Center shows the open tasks due today and tomorrow in the user's own time zone

    @R6.1
    Example: Only today's and tomorrow's open tasks are shown, yet every task is synced
      Given these tasks were created in Salesforce:
        | subject    | status      | due date   |
        | Call Ann   | Not Started | today      |
        | Email Bea  | Not Started | tomorrow   |
        | Visit Carl | Not Started | in 3 days  |
        | Old call   | Not Started | yesterday  |
        | Done call  | Completed   | today      |
      When the sync runs
      Then the Command Center shows "Call Ann" for today and "Email Bea" for tomorrow, and nothing else
      And Sales Insight Actions has the tasks "Visit Carl", "Old call" and "Done call"

    @R6.1
    Scenario Outline: "Today" is the day it is where Ann is
      Given Ann works in the time zone <time zone>
      And the time is <moment>
      When the task "Call Ann" due <due date> is created in Salesforce
      And the sync runs
      Then the Command Center shows "Call Ann" for <day>

      Examples:
        | time zone           | moment                  | due date     | day      |
        | Europe/Berlin       | 2 March 2026, 23:30 UTC | 3 March 2026 | today    |
        | America/Los_Angeles | 3 March 2026, 06:00 UTC | 3 March 2026 | tomorrow |
        | Pacific/Auckland    | 2 March 2026, 12:00 UTC | 4 March 2026 | tomorrow |

    @R6.1
    Example: After midnight, tomorrow's task moves to today
      Given Ann works in the time zone Europe/Berlin
      And the time is 2 March 2026, 20:00 UTC
      And Ann has the synced task "Call Ann" due 3 March 2026
      When 4 hours pass
      Then the Command Center shows "Call Ann" for today

    @R6.1
    Example: A task completed in Salesforce leaves the Command Center
      Given Ann has the synced task "Call Ann" due today
      When the status of the Salesforce task "Call Ann" is set to "Completed" in Salesforce
      And the sync runs
      Then the Command Center shows no tasks

  Rule: Deleted tasks disappear from the Command Center

    @R6.2
    Example: A task deleted in Salesforce disappears from the Command Center
      Given Ann has the synced task "Call Ann" due today
      And the Command Center shows "Call Ann" for today
      When the Salesforce task "Call Ann" is deleted in Salesforce
      And the sync runs
      Then the Command Center shows no tasks

    @R6.2
    Example: A task Ann deletes disappears from the Command Center
      Given Ann has the synced task "Call Ann" due tomorrow
      When Ann deletes the task "Call Ann" in Sales Insight Actions
      Then the Command Center shows no tasks
