"""`python -m sync ...` (also the `tasksync` console script)."""

from sync.cli import main

if __name__ == "__main__":
    main()
