# make docs [RESULTS=DIR]: the allocator rubric, docs/rubric.md, and its
# figures, docs/figures-rubric/, rendered by `xheap docs` from the template
# docs/rubric.md.in and one results folder: DIR, or else the newest
# complete folder in results/ (written by make bench). It is rendered in
# build/docs/ first, so that a failed render leaves the committed rubric
# and its figures as they were, and figures of an earlier run never linger.
DOCS_STAGE := $(BUILD)/docs

.PHONY: docs
docs: $(BUILD)/xheap
	@if [ -z "$(RESULTS)" ] && ! ls results/*/results.json >/dev/null 2>&1; then \
	    echo "make docs: no results folder in results/:" \
	         "run 'make bench' first (or make docs RESULTS=DIR)" >&2; \
	    exit 2; \
	fi
	@rm -rf $(DOCS_STAGE) && mkdir -p $(DOCS_STAGE)
	$(BUILD)/xheap docs $(if $(RESULTS),$(RESULTS),results) \
	    --template docs/rubric.md.in -o $(DOCS_STAGE)/rubric.md \
	    --figures $(DOCS_STAGE)/figures-rubric
	@rm -rf docs/figures-rubric
	@mv $(DOCS_STAGE)/figures-rubric docs/figures-rubric
	@mv $(DOCS_STAGE)/rubric.md docs/rubric.md
	@echo "make docs: wrote docs/rubric.md and docs/figures-rubric/"
