/** `meshrpc/kafka`: a consumer-group server and a producer client (kafkajs). */
export { KafkaServer, type KafkaServerOptions, type KafkaLike } from './server.js';
export { KafkaClient, type KafkaClientOptions } from './client.js';
