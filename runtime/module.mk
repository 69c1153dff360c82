# The runtime: libpool.a from every .c file here, and the shared library
# libpool.so.MAJOR.MINOR from the same files compiled again as position-
# independent code (build/pic/), with hidden visibility: only what pool.h
# declares is exported (pool.h says so with a visibility pragma), and
# libpool.map gives those symbols the ABI's version node.
RUNTIME_SRC := $(wildcard runtime/*.c)
RUNTIME_HDR := $(wildcard runtime/*.h)
RUNTIME_OBJ := $(RUNTIME_SRC:%.c=$(BUILD)/obj/%.o)
RUNTIME_PIC := $(RUNTIME_SRC:%.c=$(BUILD)/pic/%.o)

# The version, from pool.h: the major number is the ABI, the soname's.
pool_h_number = $(shell sed -n 's/^\#define POOL_VERSION_$(1) \([0-9][0-9]*\)$$/\1/p' runtime/pool.h)
POOL_MAJOR     := $(call pool_h_number,MAJOR)
POOL_MINOR     := $(call pool_h_number,MINOR)
LIBPOOL_SONAME := libpool.so.$(POOL_MAJOR)
LIBPOOL_REAL   := libpool.so.$(POOL_MAJOR).$(POOL_MINOR)
LIBPOOL_SO     := $(BUILD)/lib/$(LIBPOOL_REAL)

$(LIBPOOL): $(RUNTIME_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

# -z defs: a symbol the library needs and no library it names has fails
# here, not in the program that links it.
$(LIBPOOL_SO): $(RUNTIME_PIC) runtime/libpool.map
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -shared -Wl,-soname,$(LIBPOOL_SONAME) \
	    -Wl,--version-script=runtime/libpool.map -Wl,-z,defs \
	    -o $@ $(RUNTIME_PIC) $(LDFLAGS) $(LDLIBS)

# Where make install puts them (DESTDIR in front of each, for packagers).
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
# In libpool.pc, paths under PREFIX are written from ${prefix}, so that
# pkg-config --define-variable=prefix=DIR finds a tree that was moved.
pc_path = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))

install-lib: $(LIBPOOL) $(LIBPOOL_SO)
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 644 $(LIBPOOL) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(LIBPOOL_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf $(LIBPOOL_REAL) $(DESTDIR)$(LIBDIR)/$(LIBPOOL_SONAME)
	ln -sf $(LIBPOOL_SONAME) $(DESTDIR)$(LIBDIR)/libpool.so
	install -m 644 runtime/pool.h $(DESTDIR)$(INCLUDEDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(call pc_path,$(LIBDIR))|' \
	    -e 's|@INCLUDEDIR@|$(call pc_path,$(INCLUDEDIR))|' \
	    -e 's|@VERSION@|$(POOL_MAJOR).$(POOL_MINOR)|' runtime/libpool.pc.in \
	    >$(DESTDIR)$(PKGCONFIGDIR)/libpool.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/libpool.pc

uninstall-lib:
	rm -f $(DESTDIR)$(LIBDIR)/libpool.a $(DESTDIR)$(LIBDIR)/$(LIBPOOL_REAL) \
	    $(DESTDIR)$(LIBDIR)/$(LIBPOOL_SONAME) $(DESTDIR)$(LIBDIR)/libpool.so \
	    $(DESTDIR)$(INCLUDEDIR)/pool.h $(DESTDIR)$(PKGCONFIGDIR)/libpool.pc
