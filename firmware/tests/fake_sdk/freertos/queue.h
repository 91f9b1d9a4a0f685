/* Host fake of FreeRTOS queues: copies in and out of a fixed ring, never blocks. fake_sdk.c
 * records the longest wait each queue was asked for. */
#ifndef FAKE_FREERTOS_QUEUE_H
#define FAKE_FREERTOS_QUEUE_H
#include "freertos/FreeRTOS.h"
typedef struct fake_queue *QueueHandle_t;
QueueHandle_t xQueueCreate(uint32_t length, uint32_t item_size);
BaseType_t xQueueSend(QueueHandle_t q, const void *item, TickType_t wait);
BaseType_t xQueueReceive(QueueHandle_t q, void *item, TickType_t wait);
#endif
