/* xmalloc's layout, chosen once per model. */
#include "backends/xmalloc.h"

/* sizeof(void *) of the modelled Xen: arm32's 4, or LP64's 8 (also when
 * unset). Every later call goes to that layout through m->tlsf. */
int xmalloc_init(struct xen_model *m, char *why, size_t why_len)
{
    m->tlsf = m->cfg.ptr_bytes == 4 ? &tlsf_arm32 : &tlsf_lp64;
    return m->tlsf->init(m, why, why_len);
}
