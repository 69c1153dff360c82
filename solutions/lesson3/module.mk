# Reference answers to lesson 3's exercises (tests/lesson3.bats grades them).
SOLUTIONS3 := first completed limit callbacks
PROGRAMS   += $(SOLUTIONS3:%=$(BUILD)/solutions/lesson3/%)
