"""Voice (唱收唱付): every accepted note, the running total, returned notes and the result, spoken."""
