# Reference answers to lesson 1's exercises (tests/lesson1.bats grades them).
SOLUTIONS1 := whoami cubes balance
PROGRAMS   += $(SOLUTIONS1:%=$(BUILD)/solutions/lesson1/%)
