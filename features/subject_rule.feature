Feature: The subject of a synced task
  The Salesforce subject of a task that comes from Sales Insight Actions is written from a subject
  template that an admin sets once for the whole Sales Insight Actions instance (Activity Detail
  Customization). Renaming a task in Sales Insight Actions reaches Salesforce only through the
  template's {{activity_subject}} field; renaming it in Salesforce never reaches Sales Insight Actions.

  Background:
    Given Ann has turned on task sync

  Rule: A name edit in Sales Insight Actions reaches the Salesforce subject only through {{activity_subject}}

    @R5.1
    Example: The template uses {{activity_subject}}, so the rename reaches Salesforce
      Given the admin has set the subject template to "[SIA] {{activity_subject}}"
      And Ann has the synced task "Call Ann"
      When Ann renames the task "Call Ann" to "Call Ann back" in Sales Insight Actions
      And the sync runs
      Then Salesforce has the task "[SIA] Call Ann back"

    @R5.1 @R5.3
    Example: The template does not use {{activity_subject}}, so the rename stays in Sales Insight Actions
      Given the admin has set the subject template to "{{activity_type}} from Sales Insight Actions"
      And Ann has the synced call task "Call Ann"
      When Ann renames the task "Call Ann" to "Call Ann back" in Sales Insight Actions
      And the sync runs
      Then Salesforce has the task "Call from Sales Insight Actions"

  Rule: One subject template for the whole instance, with free text and dynamic fields

    @R5.1a @R5.3
    Scenario Outline: How the template turns a task into a Salesforce subject
      Given the admin has set the subject template to "<template>"
      When Ann creates the <kind> task "Call Ann" in Sales Insight Actions
      And the sync runs
      Then Salesforce has the task "<subject>"

      Examples:
        | template                                           | kind   | subject                  |
        | [SIA] {{activity_subject}}                         | call   | [SIA] Call Ann           |
        | {{Activity_type}}: {{activity_subject}}            | email  | Email: Call Ann          |
        | {{ACTIVITY_TYPE}} - {{Activity_Subject}}           | inmail | InMail - Call Ann        |
        | {{activity_subject}}{{call_outcome}}{{call_reason}} | call  | Call Ann                 |
        | {{activity_type}}                                  | custom | Custom                   |

    @R5.1a
    Example: Sales campaign fields are filled in when the task comes from a sales campaign
      Given the admin has set the subject template to "{{sales_campaign_name}} day {{sales_campaign_day}}: {{activity_subject}}"
      When Ann creates this task in Sales Insight Actions:
        | name     | sales campaign name | sales campaign day | sales campaign step |
        | Call Ann | Spring renewals     | 3                  | 2                   |
      And the sync runs
      Then Salesforce has the task "Spring renewals day 3: Call Ann"

    @R5.1a
    Example: Line breaks are removed and the subject is cut to 255 characters
      Given the admin has set the subject template to:
        """
        [SIA]
        {{activity_subject}}
        """
      When Ann creates a task in Sales Insight Actions whose name is 300 characters long
      And the sync runs
      Then the Salesforce subject of that task has no line breaks and is 255 characters long

    @R5.1a
    Example: With no template set, the subject is the task name
      Given the admin has never set a subject template
      When Ann creates the task "Call Ann" in Sales Insight Actions
      And the sync runs
      Then Salesforce has the task "Call Ann"

    @R5.1a
    Example: A template with an unknown field is rejected when the admin saves it
      Given the admin has set the subject template to "[SIA] {{activity_subject}}"
      When the admin tries to save the subject template "{{deal_size}}: {{activity_subject}}"
      Then the admin is told that "deal_size" is not a field the template can use
      And the subject template is still "[SIA] {{activity_subject}}"

  Rule: A subject edited in Salesforce never reaches the task name in Sales Insight Actions

    @R5.2
    Example: Renaming in Salesforce leaves the Sales Insight Actions name alone
      Given Ann has the synced task "Call Ann"
      When the subject of the Salesforce task "Call Ann" is changed to "Call Ann (VIP)" in Salesforce
      And the sync runs
      Then Sales Insight Actions has the task "Call Ann"
      And Sales Insight Actions has no task "Call Ann (VIP)"

    @R5.2 @R5.3
    Example: A task imported from Salesforce keeps the name it arrived with
      Given the task "Call Ann" was created in Salesforce and synced
      When the subject of the Salesforce task "Call Ann" is changed to "Call Ann (VIP)" in Salesforce
      And the sync runs
      Then Sales Insight Actions has the task "Call Ann"
      And Salesforce has the task "Call Ann (VIP)"

  Rule: A Salesforce subject edit is overwritten only by a later rename in Sales Insight Actions; an imported task takes its name from Salesforce once

    @R5.3
    Example: Other edits in Sales Insight Actions keep the subject edited in Salesforce
      Given Ann has the synced task "Call Ann"
      And the subject of the Salesforce task "Call Ann" was changed to "Call Ann (VIP)" in Salesforce
      When Ann completes the task "Call Ann" in Sales Insight Actions
      And the sync runs
      Then the Salesforce task "Call Ann (VIP)" has the status "Completed"

    @R5.3
    Example: A later rename in Sales Insight Actions overwrites the subject edited in Salesforce
      Given Ann has the synced task "Call Ann"
      And the subject of the Salesforce task "Call Ann" was changed to "Call Ann (VIP)" in Salesforce
      When Ann renames the task "Call Ann" to "Call Ann today" in Sales Insight Actions
      And the sync runs
      Then Salesforce has the task "Call Ann today" instead of "Call Ann (VIP)"

    @R5.3
    Example: An imported task is not given the template's subject
      Given the admin has set the subject template to "[SIA] {{activity_subject}}"
      When the task "Call Ann" is created in Salesforce
      And the sync runs
      Then Sales Insight Actions has the task "Call Ann"
      And Salesforce has exactly one task "Call Ann"
