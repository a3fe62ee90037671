/* Built against the installed package only (see run.sh). */
#include <sipw.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    sipw_worker *w = sipw_create(NULL);
    int rc;
    if (!w) return 1;
    rc = sipw_post(w, "EMPTY", NULL);
    sipw_destroy(w);
    if (rc != SIPW_ENOCMD || strcmp(sipw_version(), SIPW_VERSION_STRING) != 0) return 1;
    printf("consumer: sipworker %s linked and answered %d\n", sipw_version(), rc);
    return 0;
}
