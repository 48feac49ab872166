Feature: When both sides change the same task
  Between two sync passes, Ann may change a task in Sales Insight Actions while the same task
  is changed in Salesforce. The sync merges the two field by field, lets a deletion win over an
  edit, and writes every such case into the sync report so it can be looked at later.

  Background:
    Given Ann has turned on task sync
    And Ann has the synced task "Call Ann"

  Rule: Fields changed on one side only are merged

    @R4.3
    Example: Each side changed a different field
      When Ann sets the priority of the task "Call Ann" to high in Sales Insight Actions
      And the comments of the Salesforce task "Call Ann" are changed to "Bring the contract" in Salesforce
      And the sync runs
      Then the task "Call Ann" has high priority in Sales Insight Actions
      And the task "Call Ann" in Sales Insight Actions has the details "Bring the contract"

    @R4.3
    Example: Both systems end up with the same merged task
      When Ann changes the due date of the task "Call Ann" to 20 March 2026 in Sales Insight Actions
      And the status of the Salesforce task "Call Ann" is set to "Completed" in Salesforce
      And the sync runs
      Then the Salesforce task "Call Ann" is due 20 March 2026
      And the task "Call Ann" is complete in Sales Insight Actions

  Rule: A field changed on both sides takes the later change, and Sales Insight Actions wins an exact tie

    @R4.3
    Example: The later change in Salesforce wins
      When Ann changes the details of the task "Call Ann" to "Written in SIA" in Sales Insight Actions
      And 5 minutes later the comments of the Salesforce task "Call Ann" are changed to "Written in Salesforce" in Salesforce
      And the sync runs
      Then the task "Call Ann" in Sales Insight Actions has the details "Written in Salesforce"
      And the sync report records a conflict on the task "Call Ann"

    @R4.3
    Example: The later change in Sales Insight Actions wins
      When the comments of the Salesforce task "Call Ann" are changed to "Written in Salesforce" in Salesforce
      And 5 minutes later Ann changes the details of the task "Call Ann" to "Written in SIA" in Sales Insight Actions
      And the sync runs
      Then the Salesforce task "Call Ann" has the comments "Written in SIA"
      And the sync report records a conflict on the task "Call Ann"

    @R4.3
    Example: Changes at the very same moment go to Sales Insight Actions
      When Ann changes the details of the task "Call Ann" to "Written in SIA" in Sales Insight Actions
      And at the same moment the comments of the Salesforce task "Call Ann" are changed to "Written in Salesforce" in Salesforce
      And the sync runs
      Then the Salesforce task "Call Ann" has the comments "Written in SIA"
      And the sync report records a conflict on the task "Call Ann"

  Rule: A deletion on one side wins over an edit on the other

    @R4.4
    Example: Deleted in Salesforce while Ann edited it
      When Ann changes the details of the task "Call Ann" to "Still needed?" in Sales Insight Actions
      And the Salesforce task "Call Ann" is deleted in Salesforce
      And the sync runs
      Then Sales Insight Actions has no task "Call Ann"
      And the sync report records the deletion of the task "Call Ann"

    @R4.4
    Example: Deleted by Ann while it was edited in Salesforce
      When the comments of the Salesforce task "Call Ann" are changed to "Still needed?" in Salesforce
      And Ann deletes the task "Call Ann" in Sales Insight Actions
      And the sync runs
      Then Salesforce has no task "Call Ann"
      And the sync report records the deletion of the task "Call Ann"
