/** `meshrpc/amqp`: RabbitMQ consumer-as-a-server and request/reply (amqplib). */
export { AmqpServer, type AmqpServerOptions } from './server.js';
export { AmqpClient, type AmqpClientOptions } from './client.js';
