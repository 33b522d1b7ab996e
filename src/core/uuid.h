/** @file uuid.h  Random (version 4) UUIDs as text, from libre's rand_bytes */
#ifndef TRUNKD_CORE_UUID_H
#define TRUNKD_CORE_UUID_H

/* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" */
void uuid4(char out[37]);

#endif
