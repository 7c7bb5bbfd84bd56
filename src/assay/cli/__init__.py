"""The command line: option parsing only; each command fills an options value and calls its stage."""
