# The runtime: libpool.a from every .c file here.
RUNTIME_SRC := $(wildcard runtime/*.c)
RUNTIME_OBJ := $(RUNTIME_SRC:%.c=$(BUILD)/obj/%.o)

$(LIBPOOL): $(RUNTIME_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^
