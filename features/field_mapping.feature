Feature: Which task fields are synced
  A reminder task in Sales Insight Actions and a task in Salesforce share five fields:
  the task name is the Salesforce subject, the status, the priority, the due date, and the
  details are the Salesforce comments. Status and priority have their own feature; the subject's
  direction rules are in "The subject of a synced task".

  Background:
    Given Ann has turned on task sync

  Rule: The task name is the Salesforce subject

    @R2.1
    Example: A task created in Sales Insight Actions gets its name as the Salesforce subject
      When Ann creates the task "Call Ann about the renewal" in Sales Insight Actions
      And the sync runs
      Then Salesforce has the task "Call Ann about the renewal"

    @R2.1
    Example: A task created in Salesforce gets its subject as the task name
      When the task "Send the quote" is created in Salesforce
      And the sync runs
      Then Sales Insight Actions has the task "Send the quote"

  Rule: The due date is a calendar date that never shifts by a day

    @R2.4
    Scenario Outline: A due date set in Sales Insight Actions arrives as the same day in Salesforce
      Given the time is <moment>
      When Ann creates the task "Pay the invoice" due <due date> in Sales Insight Actions
      And the sync runs
      Then the Salesforce task "Pay the invoice" is due <due date>

      Examples:
        | moment                       | due date       |
        | 3 March 2026, 00:30 UTC      | 3 March 2026   |
        | 3 March 2026, 23:30 UTC      | 4 March 2026   |
        | 31 December 2026, 23:59 UTC  | 1 January 2027 |

    @R2.4
    Scenario Outline: A due date set in Salesforce arrives as the same day in Sales Insight Actions
      Given the time is <moment>
      When the task "Pay the invoice" due <due date> is created in Salesforce
      And the sync runs
      Then the task "Pay the invoice" in Sales Insight Actions is due <due date>

      Examples:
        | moment                       | due date       |
        | 3 March 2026, 00:30 UTC      | 3 March 2026   |
        | 3 March 2026, 23:30 UTC      | 4 March 2026   |
        | 28 March 2026, 23:59 UTC     | 29 March 2026  |

    @R2.4
    Example: Moving the due date in Salesforce moves it in Sales Insight Actions
      Given Ann has the synced task "Call Ann" due 5 March 2026
      When the due date of the Salesforce task "Call Ann" is set to 12 March 2026 in Salesforce
      And the sync runs
      Then the task "Call Ann" in Sales Insight Actions is due 12 March 2026

  Rule: Details and comments pass unchanged both ways and are never cut

    @R2.5
    Example: Details with line breaks and accents reach Salesforce unchanged
      When Ann creates the task "Call Zoë" in Sales Insight Actions with the details:
        """
        Ask about the renewal — 20 % discount?
        Zoë prefers calls after 14:00 ☎
        """
      And the sync runs
      Then the Salesforce task "Call Zoë" has exactly those comments

    @R2.5
    Example: Comments edited in Salesforce reach Sales Insight Actions
      Given Ann has the synced task "Call Ann"
      When the comments of the Salesforce task "Call Ann" are changed to "Renewal signed, send thanks" in Salesforce
      And the sync runs
      Then the task "Call Ann" in Sales Insight Actions has the details "Renewal signed, send thanks"

    @R2.5
    Example: The longest details Sales Insight Actions allows arrive in full
      When Ann creates the task "Read the contract" in Sales Insight Actions with 32000 characters of details
      And the sync runs
      Then the Salesforce task "Read the contract" has all 32000 characters of those comments

    @R2.5
    Example: The longest comments Salesforce allows arrive in full
      When the task "Read the long contract" with 32000 characters of comments is created in Salesforce
      And the sync runs
      Then the task "Read the long contract" in Sales Insight Actions has all 32000 characters of those details
