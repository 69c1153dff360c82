# Lesson 3's exercises: built by `make`, graded by `make grade` (LESSON=3).
EXERCISES3 := first completed limit callbacks
PROGRAMS   += $(EXERCISES3:%=$(BUILD)/exercises/lesson3/%)
