"""Staff entry batches: the questionnaires a clerk keys from phone calls, meetings, visits and
paper, held here until the batch is finished (and, with double entry, resolved)."""
