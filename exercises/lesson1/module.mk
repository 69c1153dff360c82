# Lesson 1's exercises: built by `make`, graded by `make grade LESSON=1`.
EXERCISES1 := whoami cubes balance
PROGRAMS   += $(EXERCISES1:%=$(BUILD)/exercises/lesson1/%)
