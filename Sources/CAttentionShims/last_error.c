/* The per-thread message behind attn_last_error(). */
#include "CAttentionShims.h"
#include <string.h>

#define LAST_ERROR_CAPACITY 1024

static _Thread_local char last_error[LAST_ERROR_CAPACITY];

const char *attn_shim_last_error(void) { return last_error; }

void attn_shim_set_last_error(const char *message) {
    if (message == NULL) { last_error[0] = '\0'; return; }
    size_t length = strlen(message);
    if (length >= LAST_ERROR_CAPACITY) {
        length = LAST_ERROR_CAPACITY - 1;
        /* Do not cut a UTF-8 sequence in half: back up over continuation bytes. */
        while (length > 0 && ((unsigned char)message[length] & 0xC0) == 0x80) length--;
    }
    memcpy(last_error, message, length);
    last_error[length] = '\0';
}
