"""Export workers: claim tasks from the queue, build workbooks, store them."""
