Feature: Status and priority
  Sales Insight Actions knows two statuses (open, complete) and two priorities (normal, high).
  Salesforce knows more. Only the values both sides share are synced; the others never
  overwrite what the rep sees in Sales Insight Actions.

  Background:
    Given Ann has turned on task sync

  Rule: Open is "Not Started" and complete is "Completed"

    @R2.2
    Scenario Outline: Ann's status change in Sales Insight Actions reaches Salesforce
      Given the synced task "Call Ann" is <before> in Sales Insight Actions
      When Ann marks the task "Call Ann" as <after> in Sales Insight Actions
      And the sync runs
      Then the Salesforce task "Call Ann" has the status "<Salesforce status>"

      Examples:
        | before   | after    | Salesforce status |
        | open     | complete | Completed         |
        | complete | open     | Not Started       |

    @R2.2
    Scenario Outline: A status change in Salesforce reaches Sales Insight Actions
      Given the synced task "Call Ann" is <before> in Sales Insight Actions
      When the status of the Salesforce task "Call Ann" is set to "<Salesforce status>" in Salesforce
      And the sync runs
      Then the task "Call Ann" is <after> in Sales Insight Actions

      Examples:
        | before   | Salesforce status | after    |
        | open     | Completed         | complete |
        | complete | Not Started       | open     |

  Rule: Any other Salesforce status leaves the Sales Insight Actions status as it was

    @R2.2 @R2.2a
    Scenario Outline: A change to a status Sales Insight Actions does not know is not synced
      Given the synced task "Call Ann" is <before> in Sales Insight Actions
      When the status of the Salesforce task "Call Ann" is set to "<Salesforce status>" in Salesforce
      And the sync runs
      Then the task "Call Ann" is still <before> in Sales Insight Actions

      Examples:
        | before   | Salesforce status       |
        | open     | In Progress             |
        | open     | Waiting on someone else |
        | complete | Deferred                |

    @R2.2a
    Example: Editing the task in Sales Insight Actions keeps the Salesforce status
      Given the synced task "Call Ann" is open in Sales Insight Actions
      And the status of the Salesforce task "Call Ann" was set to "In Progress" in Salesforce
      When Ann changes the details of the task "Call Ann" to "Bring the contract" in Sales Insight Actions
      And the sync runs
      Then the Salesforce task "Call Ann" has the status "In Progress"

  Rule: A Salesforce task imported with another status arrives open, or complete if that status is a closed one

    @R2.2 @R2.2b
    Scenario Outline: The status an imported task arrives with
      When the task "Call Ann" with the status "<Salesforce status>" is created in Salesforce
      And the sync runs
      Then the task "Call Ann" is <SIA status> in Sales Insight Actions

      Examples:
        | Salesforce status       | SIA status |
        | Not Started             | open       |
        | Completed               | complete   |
        | In Progress             | open       |
        | Waiting on someone else | open       |
        | Deferred                | open       |

    @R2.2b
    Example: A custom closed status arrives complete
      Given Salesforce has a custom closed task status "Done by assistant"
      When the task "Call Ann" with the status "Done by assistant" is created in Salesforce
      And the sync runs
      Then the task "Call Ann" is complete in Sales Insight Actions

  Rule: Normal is "Normal" and high is "High"

    @R2.3
    Scenario Outline: Ann's priority change in Sales Insight Actions reaches Salesforce
      Given the synced task "Call Ann" has <before> priority in Sales Insight Actions
      When Ann sets the priority of the task "Call Ann" to <after> in Sales Insight Actions
      And the sync runs
      Then the Salesforce task "Call Ann" has the priority "<Salesforce priority>"

      Examples:
        | before | after  | Salesforce priority |
        | normal | high   | High                |
        | high   | normal | Normal              |

    @R2.3
    Scenario Outline: A priority change in Salesforce reaches Sales Insight Actions
      Given the synced task "Call Ann" has <before> priority in Sales Insight Actions
      When the priority of the Salesforce task "Call Ann" is set to "<Salesforce priority>" in Salesforce
      And the sync runs
      Then the task "Call Ann" has <after> priority in Sales Insight Actions

      Examples:
        | before | Salesforce priority | after  |
        | normal | High                | high   |
        | high   | Normal              | normal |

  Rule: Salesforce "Low" is not synced: it leaves the priority as it was, and an imported Low task arrives normal

    @R2.3 @R2.3a
    Scenario Outline: Setting Low in Salesforce keeps the Sales Insight Actions priority
      Given the synced task "Call Ann" has <before> priority in Sales Insight Actions
      When the priority of the Salesforce task "Call Ann" is set to "Low" in Salesforce
      And the sync runs
      Then the task "Call Ann" still has <before> priority in Sales Insight Actions

      Examples:
        | before |
        | high   |
        | normal |

    @R2.3 @R2.3a
    Example: A Low priority task from Salesforce arrives with normal priority
      When the task "Call Ann" with the priority "Low" is created in Salesforce
      And the sync runs
      Then the task "Call Ann" has normal priority in Sales Insight Actions
