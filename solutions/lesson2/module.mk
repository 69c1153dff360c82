# Reference answers to lesson 2's exercises (tests/grade.bats grades them).
SOLUTIONS2 := future overlap failures
PROGRAMS   += $(SOLUTIONS2:%=$(BUILD)/solutions/lesson2/%)
