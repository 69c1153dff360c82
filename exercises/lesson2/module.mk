# Lesson 2's exercises: built by `make`, graded by `make grade`.
EXERCISES2 := future overlap failures
PROGRAMS   += $(EXERCISES2:%=$(BUILD)/exercises/lesson2/%)
