"""Pure domain rules: tasks, time windows, billing regions. No I/O."""
